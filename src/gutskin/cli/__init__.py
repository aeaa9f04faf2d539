"""The ``gutskin`` command line: a thin face over the library.

Each command group lives in its own module and registers itself on :data:`app`. Bad input of any kind
ends as one line on stderr and exit status 2 (see :func:`main`).
"""

from __future__ import annotations

import os
import sys
import warnings

import typer

from ..errors import InputError, RefusedError

# numba fixes its kernel cache folder when the kernels are first imported, so a read-only install points it
# elsewhere here, before any command module imports the engine (the face reads the environment, nothing below)
if os.environ.get("GUTSKIN_NUMBA_CACHE_DIR"):
    os.environ.setdefault("NUMBA_CACHE_DIR", os.environ["GUTSKIN_NUMBA_CACHE_DIR"])

app = typer.Typer(
    name="gutskin",
    help="Gut-microbiome profiles → evidence-graded skin insight, and fair elimination-diet trials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Command modules add their commands to ``app`` when imported: one line per command group, in --help order.
# isort: off
from . import profiles, score, reference, insights, kb, trial, report  # noqa: E402,F401
from . import serve, admin, cohort, retest  # noqa: E402,F401
from . import export, fhir_import  # noqa: E402,F401  (FHIR export and import, issue 17)
# isort: on


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        from .. import __version__

        typer.echo(f"gutskin {__version__}")
        raise typer.Exit()


def fail(message: str) -> None:
    """Print one line to stderr and exit 2."""
    typer.echo(f"gutskin: error: {message}", err=True)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    try:
        # numpy's RuntimeWarnings (a division by zero on a damaged or empty sample) would print lines before the
        # one-line refusal; every such value is checked where it is used, so they add nothing for a user
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            app(args=argv, standalone_mode=True)
    except (InputError, RefusedError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        typer.echo("gutskin: interrupted", err=True)
        raise SystemExit(130) from None
    except SystemExit:
        raise
    except Exception as exc:  # a bug, not bad input: one line, and the traceback only on request
        if os.environ.get("GUTSKIN_DEBUG"):
            raise
        typer.echo(f"gutskin: internal error: {type(exc).__name__}: {exc} "
                   "(set GUTSKIN_DEBUG=1 for the traceback, and please report it)", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
