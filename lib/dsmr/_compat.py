"""Lets the MicroPython-specific parts of lib/dsmr run unchanged under CPython.

On MicroPython this re-exports the real `const`; the viper type names are only
placeholders there, because the viper compiler handles them itself. Under
CPython `micropython.viper` becomes a no-op decorator and the pointer casts
become identity functions, so the same loops run as plain Python (slower, but
identical in behaviour: that is what the CPython tests check).
"""

try:
    import micropython  # noqa: F401  (the decorators are looked up on it)
    from micropython import const

    ptr8 = ptr16 = ptr32 = None
except ImportError:  # CPython

    class micropython:  # noqa: N801  (mirrors the MicroPython module name)
        @staticmethod
        def viper(f):
            return f

        native = viper

    def const(x):
        return x

    def ptr8(x):
        return x

    ptr16 = ptr32 = ptr8
