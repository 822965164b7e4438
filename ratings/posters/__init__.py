"""A picture for every movie: the poster TMDB gave (`manage.py posters_fetch`), else one the site draws."""
