"""papermill support for the Rust MSTIC kernel: `papermill in.ipynb out.ipynb -k rust-mstic -p days 2`
injects the parameters as typed Rust `let` bindings (see `translator.RustTranslator`), and
`papermill --help-notebook` lists the `let` bindings of the notebook's `parameters` cell.

How the translator gets registered: papermill picks a translator from a registry that lives in the
papermill process (`papermill.translators.papermill_translators`) and has no entry-point group for
translators. It does load every `papermill.engine` entry point as soon as `papermill` is imported
(the CLI, the Python API and `--help-notebook` all import it), so this package declares one whose
module (`plugin`) registers the translators when it loads. That hook is papermill's own plugin
mechanism: it costs nothing for Python processes that never import papermill, which a `.pth` file
run at every interpreter start could not promise, and it needs no change to papermill or to how
users call it. The engine it declares is papermill's nbclient engine, unchanged.

Importing this package imports papermill first, so papermill's loading of the entry point (which
imports `plugin` and `translator` from here) never meets a half-imported module of ours.
"""

import papermill  # noqa: F401  (first: papermill loads our plugin module while it imports)

from .errors import RustParameterError
from .plugin import KERNEL_NAME, LANGUAGE, register
from .translator import EvcxrTranslator, RustTranslator

register()  # also when the package runs from a source tree without its entry point installed

__all__ = ["EvcxrTranslator", "KERNEL_NAME", "LANGUAGE", "RustParameterError", "RustTranslator", "register"]
