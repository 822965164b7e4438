"""Training, the model registry and serving of the collaborative-filtering recommender."""
