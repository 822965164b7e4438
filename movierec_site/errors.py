"""Error reporting: Sentry (sentry-sdk, its Django and Celery integrations) when SENTRY_DSN is set, nothing when it
is not, not even an import; settings call ``sentry_init`` once per process, web, worker and beat alike."""


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> bool:
    """Start reporting to ``dsn``; False, and nothing started, when it is empty."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=True)],
        traces_sample_rate=traces_sample_rate,
        # Email addresses, IP addresses and cookies stay on this side; a request's id is enough to find its lines.
        send_default_pii=False,
    )
    return True
