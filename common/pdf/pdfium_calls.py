"""PDFium's C functions bound without argument types, for the per-line and per-object loops.

``pypdfium2.raw`` declares every function's argument types, and ctypes converts and checks each
argument against them on every call. That check is most of a call's cost: measured here,
``FPDFText_GetCharBox`` takes 1.5 µs through ``pypdfium2.raw`` and 0.5 µs through the same
function pointer without declared argument types; ``FPDFText_GetFontSize`` 0.75 µs and 0.34 µs.
Reading a protocol's line boxes and table rules makes tens of thousands of such calls, so
:mod:`common.pdf.text` and :mod:`common.pdf.glyphs` call PDFium through :func:`untyped_pdfium`.

Without declared types, ctypes passes each argument by its Python type: a ctypes instance (a
handle from ``pypdfium2``, a ``ctypes.byref`` out-parameter) as itself and an ``int`` as a C
``int``; it cannot pass a ``float``. Binding refuses a function with a parameter that is not a
pointer or a C ``int``, so every function bound here is safe to call this way. Return types
are kept from ``pypdfium2.raw``.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

__all__ = ["untyped_pdfium"]

_PASSED_AS_IS = (ctypes.c_int,)


class _UntypedPdfium:
    """``pypdfium2.raw``'s functions, each bound on first use without argument types."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def __getattr__(self, name: str) -> Any:
        typed: Any = getattr(self._raw, name)
        for argtype in typed.argtypes or ():
            if argtype not in _PASSED_AS_IS and not issubclass(argtype, ctypes._Pointer):  # pyright: ignore[reportPrivateUsage]
                raise TypeError(f"{name}: a {argtype.__name__} parameter cannot be passed untyped")
        prototype: Any = ctypes.CFUNCTYPE(typed.restype)
        function: Any = prototype(ctypes.cast(typed, ctypes.c_void_p).value)
        function.argtypes = None
        setattr(self, name, function)  # later lookups find the attribute and skip __getattr__
        return function


@functools.cache
def untyped_pdfium() -> Any:
    """The untyped twin of ``pypdfium2.raw``: ``untyped_pdfium().FPDFText_GetCharBox(...)``.

    Returns:
        An object whose attributes are PDFium's functions, named as in ``pypdfium2.raw``, with
        the same return types and no argument types.

    Raises:
        TypeError: On first use of a function with a parameter that is neither a pointer nor
            a C ``int``.
    """
    import pypdfium2.raw as pdfium_c  # pyright: ignore[reportMissingTypeStubs]

    return _UntypedPdfium(pdfium_c)
