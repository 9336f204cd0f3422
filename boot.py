"""Runs first on the dongle, before main.py: nothing to do yet but stay out of the way.

Kept minimal on purpose: a boot.py that raises could lock a user out of the REPL.
"""
