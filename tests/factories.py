"""factory-boy factories for the catalogue, ratings and model versions."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils.text import slugify

from ratings.models import Genre, Movie, Profile, Rating


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.LazyAttribute(lambda genre: slugify(genre.name))


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie
        skip_postgeneration_save = True

    movielens_id = factory.Sequence(lambda n: 100_000 + n)
    title = factory.Sequence(lambda n: f"Movie {n}")
    year = 1995

    @factory.post_generation
    def genres(self, create: bool, extracted: list[Genre] | None, **kwargs: object) -> None:
        if create and extracted:
            self.genres.set(extracted)


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    score = 4.0
    timestamp = factory.LazyFunction(lambda: dt.datetime(1998, 1, 1, tzinfo=dt.UTC))
