"""The MQTT broker's address, mqtt://[user:password@]host[:port], read in one place:
settings_table.py checks a new `mqtt_url` with it, mqtt.py connects with it."""


def parse(url):
    """(host, port, user, password) of the address (user and password None when
    not given, port 1883), or None when `url` is not one."""
    if not url.startswith("mqtt://"):
        return None
    rest = url[7:].rstrip("/")
    user = password = None
    if "@" in rest:
        cred, rest = rest.rsplit("@", 1)
        user, _, password = cred.partition(":")
    host, _, port = rest.partition(":")
    if not host or port and not (port.isdigit() and 0 < int(port) < 65536):
        return None
    return host, int(port) if port else 1883, user, password
