"""dsmr-api firmware: reads a smart meter's P1 port and serves it on the network.

What each module does and where it is: README.md, "Where things are" (the
one file map; each module's docstring says its own role).
"""
