"""The JSON API under /api/: thin django-ninja views over the ratings and recommender services."""
