"""The module papermill loads through our `papermill.engine` entry point. Loading it registers the
Rust translators; the engine it names is papermill's own nbclient engine under the kernel's name."""

from papermill.engines import NBClientEngine
from papermill.translators import papermill_translators

from .translator import EvcxrTranslator, RustTranslator

#: The kernelspec name of the Rust MSTIC kernel.
KERNEL_NAME = "rust-mstic"
#: The kernelspec language of Rust kernels.
LANGUAGE = "rust"


def register() -> None:
    """Registers the translators: papermill looks a notebook's kernel name up first, then its language."""
    papermill_translators.register(KERNEL_NAME, RustTranslator)
    papermill_translators.register(LANGUAGE, EvcxrTranslator)


class RustMsticEngine(NBClientEngine):
    """papermill's default engine (nbclient), also selectable as `--engine rust-mstic`. It exists so
    that papermill's engine entry points load this module whenever papermill is imported."""


register()
