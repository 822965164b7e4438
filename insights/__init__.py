"""The staff-only Model section: what the model learned, how it is doing, and the benchmark command."""
