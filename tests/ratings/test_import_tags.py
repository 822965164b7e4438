"""tags.csv of the CSV layout (ml-latest, ml-20m, ml-25m): each tag stored once per rater, movie and text, every
line checked, a bad one refused at its line with nothing written, a re-import adding only what is missing."""

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from ratings.models import TAG_MAX_LENGTH, Movie, Profile, Tag
from ratings.services.movielens import MovieLensError, SourceFiles, movielens_import, tags
from ratings.services.movielens.importer import _add_raters
from ratings.services.movielens.layouts import BAD_TIMESTAMP, TOO_LONG, UNKNOWN_MOVIE, WRONG_COLUMN_COUNT
from ratings.services.movielens.tags import NULL_IN_TAG, TagsSummary, movielens_tags_import

User = get_user_model()

pytestmark = pytest.mark.django_db

# GroupLens quotes a tag holding a comma; user 9 tagged but rated nothing of the tiny copy.
TAGS = [
    "userId,movieId,tag,timestamp",
    "1,1,pixar,1139045764",
    '2,1,"funny, clever",1139045765',
    "3,1, pixar ,1139045766",
    "1,3,dystopia,1139045767",
    "9,3,dystopia,1139045768",
]


def copy_with_tags(movielens_files, lines: list[str]) -> Path:
    """A copy whose movies and raters are imported already, and a copy of it with ``lines`` as its tags.csv."""
    files = movielens_files.lines("csv")
    movielens_import(source=movielens_files.save(files))
    files["tags.csv"] = lines
    return movielens_files.save(files)


def tags_import(source: Path) -> TagsSummary:
    """The tags' import as the importer calls it, after its movies and raters are written."""
    files = SourceFiles(source)
    try:
        return movielens_tags_import(
            files=files,
            movie_pks=dict(Movie.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "pk")),
            rater_pks=dict(Profile.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "user_id")),
            add_raters=_add_raters,
        )
    finally:
        files.close()


def stored() -> set[tuple[int | None, int | None, str]]:
    return set(Tag.objects.values_list("user__profile__movielens_id", "movie__movielens_id", "text"))


def test_tags_are_stored_per_rater_movie_and_text(movielens_files) -> None:
    """Each line is one tag of its rater's account and its movie, at its time, trimmed of blanks; a quoted tag keeps
    its comma; a user who tagged without rating becomes a MovieLens rater like those of ratings.csv."""
    summary = tags_import(copy_with_tags(movielens_files, TAGS))

    assert summary == TagsSummary(added=5, present=0, users_added=1)
    assert stored() == {
        (1, 1, "pixar"),
        (2, 1, "funny, clever"),
        (3, 1, "pixar"),
        (1, 3, "dystopia"),
        (9, 3, "dystopia"),
    }
    tag = Tag.objects.get(user__profile__movielens_id=1, movie__movielens_id=1)
    assert tag.timestamp == dt.datetime.fromtimestamp(1139045764, dt.UTC)
    assert not User.objects.get(profile__movielens_id=9).has_usable_password()


def test_a_reimport_adds_nothing_and_a_repeated_line_is_present(movielens_files) -> None:
    """The second import of the same tags adds none and counts them all present; a tag repeated in the file (after
    trimming) is stored once; a blank tag says nothing and is skipped."""
    source = copy_with_tags(movielens_files, [*TAGS, "1,1,pixar ,1139045769", "2,2,  ,1139045770"])

    assert tags_import(source) == TagsSummary(added=5, present=1, users_added=1)
    assert tags_import(source) == TagsSummary(added=0, present=6, users_added=0)
    assert Tag.objects.count() == 5


def test_without_tags_csv_nothing_is_read(movielens_files) -> None:
    """tags.csv is optional, as links.csv is."""
    source = movielens_files.write("csv")
    movielens_import(source=source)

    assert tags_import(source) == TagsSummary(added=0, present=0, users_added=0)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1,99,pixar,1139045770", UNKNOWN_MOVIE.format(value=99, items="movies.csv")),
        (
            f"1,1,{'x' * (TAG_MAX_LENGTH + 1)},1139045770",
            TOO_LONG.format(column="tag", value=f"{'x' * 199}…", max_length=TAG_MAX_LENGTH),
        ),
        ("1,1,pixar,yesterday", BAD_TIMESTAMP.format(value="yesterday")),
        ("1,1,pixar", WRONG_COLUMN_COUNT.format(expected=4, found=3)),
        ('1,1,"pixar,1139045770', WRONG_COLUMN_COUNT.format(expected=4, found=3)),  # a quote left open
        ("1,1,pi\x00xar,1139045770", NULL_IN_TAG.format(value="pi\x00xar")),
        ("x,1,pixar,1139045770", "user id 'x' is not a whole number"),
    ],
)
def test_a_bad_line_stops_the_tags_at_its_line_and_writes_nothing(
    movielens_files, monkeypatch: pytest.MonkeyPatch, line: str, reason: str
) -> None:
    """A bad line names tags.csv, its line and the reason; the tags written before it in smaller chunks, and the
    rater created for user 9, are gone with it."""
    monkeypatch.setattr(tags, "CHUNK_LINES", 2)
    source = copy_with_tags(movielens_files, [*TAGS, line])
    users = User.objects.count()

    with pytest.raises(MovieLensError) as raised:
        tags_import(source)

    assert str(raised.value) == f"{source}/tags.csv, line {len(TAGS) + 1}: {reason}"
    assert Tag.objects.count() == 0 and User.objects.count() == users
