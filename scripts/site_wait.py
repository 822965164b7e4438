"""Wait until the site answers at a URL (any status below 500), so that the address is printed only when a click on
it gets a page: prints ``--message`` and exits 0 then, or exits 1 with the reason on stderr after ``--seconds``."""

import argparse
import sys
import time
import urllib.error
import urllib.request

NOT_ANSWERING = "{url} did not answer within {seconds:.0f} s; the processes' lines above say why."


def site_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a local http URL of our own)
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError):
        return False


def site_wait(*, url: str, seconds: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + seconds
    while not site_answers(url):
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--message", default="", help="printed once the site answers")
    args = parser.parse_args(argv)
    if site_wait(url=args.url, seconds=args.seconds):
        print(args.message, flush=True)
        return 0
    print(NOT_ANSWERING.format(url=args.url, seconds=args.seconds), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
