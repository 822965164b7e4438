"""The ML core of MovieRec: the models' arrays, training, cold start, metrics and the evaluation protocol; no Django."""
