"""Lets the MicroPython-specific parts of lib/dsmr run unchanged under CPython.

On MicroPython this re-exports the real `micropython` and `const`; the viper
type names (ptr8, ptr16, ptr32) are the viper compiler's own there. Under
CPython `micropython.viper` becomes a no-op decorator and the pointer casts
become identity functions, put where MicroPython has them: among the
builtins. So the same loops run as plain Python (slower, but identical in
behaviour: that is what the CPython tests check).
"""

try:
    import micropython  # noqa: F401  # pyright: ignore  (the decorators are looked up on it)
    from micropython import const  # pyright: ignore
except ImportError:  # CPython
    import builtins

    class micropython:  # noqa: N801  (mirrors the MicroPython module name)
        @staticmethod
        def viper(f):
            return f

        native = viper

    def const(x):
        return x

    def _cast(x):
        return x

    builtins.ptr8 = builtins.ptr16 = builtins.ptr32 = _cast  # pyright: ignore
