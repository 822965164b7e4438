"""The catalogue (movies, genres) and the ratings that MovieLens raters and site users give them."""
