"""The Model pages' form to start a comparison: the candidate (a ready version) and the share of people."""

from django import forms

from recommender.models import ModelVersion

SHARE_DEFAULT_PERCENT = 20
CANDIDATE_NOT_READY = "Pick a ready version: only a trained version that is not active can be compared."
SHARE_INVALID = "The share of people is a whole percentage from 1 to 100."


class ComparisonStartForm(forms.Form):
    candidate = forms.ModelChoiceField(
        queryset=ModelVersion.objects.filter(status=ModelVersion.Status.READY),
        label="Candidate",
        empty_label=None,
        error_messages={"invalid_choice": CANDIDATE_NOT_READY, "required": CANDIDATE_NOT_READY},
    )
    share = forms.IntegerField(
        label="Share of signed-in people (%)",
        min_value=1,
        max_value=100,
        initial=SHARE_DEFAULT_PERCENT,
        error_messages={
            "invalid": SHARE_INVALID,
            "min_value": SHARE_INVALID,
            "max_value": SHARE_INVALID,
            "required": SHARE_INVALID,
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["candidate"].label_from_instance = lambda v: (  # type: ignore[attr-defined]
            f"v{v.pk} ({v.algorithm}, RMSE {v.metrics.get('rmse', float('nan')):.4f})"
        )
