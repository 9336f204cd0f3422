"""Settings cases, run under the MicroPython unix port (tests/test_settings.py)."""

import json
import os

from firmware import settings, settings_save

# A folder of this run's own (conftest.run_mp_cases makes it), so that two runs at once never share files
_DIR = (os.getenv("DSMR_CASES_TMP") or "/tmp") + "/dsmr-settings-cases"


class FakePlatform:
    DEFAULTS = {"http_port": 8080}

    def __init__(self, env=None):
        self._env = env or {}

    def env(self, name):
        return self._env.get(name)

    def data_path(self, filename):
        return _DIR + "/" + filename


def fresh(content=None, env=None):
    try:
        os.mkdir(_DIR)
    except OSError:
        pass
    for f in ("settings.json", "settings.json.tmp"):
        try:
            os.remove(_DIR + "/" + f)
        except OSError:
            pass
    if content is not None:
        with open(_DIR + "/settings.json", "w") as f:
            f.write(content)
    return settings.read(FakePlatform(env))


def saved_file():
    with open(_DIR + "/settings.json") as f:
        return json.load(f)


def case_no_file_means_defaults():
    s = fresh()
    assert s["hostname"] == "dsmr-api"
    assert s["http_port"] == 8080  # the platform's default
    assert s["p1_require_crc"] is False


def case_corrupt_file_means_defaults():
    for junk in ("{not json", "[1, 2]", "\x00\xff", ""):
        s = fresh(junk)
        assert s["hostname"] == "dsmr-api", junk


def case_bad_values_in_the_file_are_dropped_one_by_one():
    s = fresh('{"hostname": "meterkast", "http_port": "x", "bogus": 1, "http_timeout": 99999}')
    assert s["hostname"] == "meterkast"
    assert s["http_port"] == 8080
    assert s["http_timeout"] == 5


def case_update_validates_saves_and_says_what_needs_a_restart():
    s = fresh()
    restart = settings_save.update(FakePlatform(), s, {"hostname": "p1", "http_timeout": "9", "p1_require_crc": True})
    assert restart == ["hostname"]
    assert s["http_timeout"] == 9 and s["p1_require_crc"] is True  # live
    assert s["hostname"] == "dsmr-api"  # after a restart
    assert saved_file() == {"hostname": "p1", "http_timeout": 9, "p1_require_crc": True}
    assert settings.read(FakePlatform())["hostname"] == "p1"
    try:
        os.stat(_DIR + "/settings.json.tmp")
        assert False, "temporary file left behind"
    except OSError:
        pass


def case_invalid_updates_change_nothing():
    s = fresh('{"hostname": "keep"}')
    for bad, msg in (
        ({"nope": 1}, "unknown setting: nope"),
        ({"http_port": 0}, "http_port must be 1..65535"),
        ({"http_port": "eighty"}, "http_port must be a whole number"),
        ({"http_port": True}, "http_port must be a whole number"),
        ({"hostname": ""}, "hostname must be 1..32 bytes"),
        ({"hostname": 5}, "hostname must be a string"),
        ({"hostname": "my meter"}, "hostname may hold only letters, digits and hyphens (not first or last)"),
        ({"hostname": "m\u00e9ter"}, "hostname may hold only letters, digits and hyphens (not first or last)"),
        ({"hostname": "-p1"}, "hostname may hold only letters, digits and hyphens (not first or last)"),
        ({"hostname": "p1.local"}, "hostname may hold only letters, digits and hyphens (not first or last)"),
        ({"mqtt_url": "192.168.1.10"}, "mqtt_url must look like mqtt://[user:password@]host[:port]"),
        ({"mqtt_url": "mqtt://"}, "mqtt_url must look like mqtt://[user:password@]host[:port]"),
        ({"mqtt_url": "mqtt://broker:port"}, "mqtt_url must look like mqtt://[user:password@]host[:port]"),
        ({"mqtt_url": "mqtt://u:p@broker:0"}, "mqtt_url must look like mqtt://[user:password@]host[:port]"),
        ({"p1_format": "9N2"}, "p1_format must be one of 8N1,7E1"),
        ({"p1_require_crc": "maybe"}, "p1_require_crc must be true or false"),
        ({"http_timeout": 7, "http_port": -1}, "http_port must be 1..65535"),
    ):
        try:
            settings_save.update(FakePlatform(), s, bad)
            assert False, bad
        except ValueError as e:
            assert e.args[0] == msg, (e.args[0], msg)
    assert saved_file() == {"hostname": "keep"}
    assert s["http_timeout"] == 5


def case_an_update_drops_the_files_bad_values_and_keeps_the_good_ones():
    s = fresh('{"hostname": "meterkast", "http_port": "x", "bogus": 1, "http_timeout": 99999, "mqtt_prefix": "a+b"}')
    settings_save.update(FakePlatform(), s, {"hostname": "p1"})  # (a restart's: s keeps "meterkast")
    assert saved_file() == {"hostname": "p1"}
    with open(_DIR + "/settings.json", "w") as f:
        f.write('{"hostname": "p1", "mqtt_prefix": "a+b", "sim_speed": "60", "http_timeout": 5}')
    settings_save.update(FakePlatform(), s, {"p1_require_crc": True})
    assert saved_file() == {"hostname": "p1", "sim_speed": 60, "http_timeout": 5, "p1_require_crc": True}


def case_the_heap_budget_is_what_the_tables_defaults_take():
    from firmware import settings_budget, settings_table

    d = {}
    for r in settings_table.rows():
        if r[1] == "i":
            d[r[0]] = int(r[2])
    assert settings_budget.heap_needed(d) == settings_budget.BUDGET, settings_budget.heap_needed(d)


def case_mqtt_urls_that_work_are_taken():
    s = fresh()
    for url in ("", "mqtt://broker", "mqtt://192.168.1.10:1883", "mqtt://u:p@ss:w@broker.lan:8883/"):
        settings_save.update(FakePlatform(), s, {"mqtt_url": url})
        assert saved_file()["mqtt_url"] == url


def case_environment_overrides_are_not_saved():
    s = fresh(env={"DSMR_HTTP_TIMEOUT": "3", "DSMR_HOSTNAME": ""})
    assert s["http_timeout"] == 3
    assert s["hostname"] == "dsmr-api"  # invalid override ignored
    settings_save.update(FakePlatform(), s, {"sim_speed": 60})
    assert saved_file() == {"sim_speed": 60}


def case_a_half_done_fat_style_write_is_recovered():
    s = fresh('{"hostname": "old"}')
    os.rename(_DIR + "/settings.json", _DIR + "/settings.json.tmp")  # cut between remove and rename
    s = settings.read(FakePlatform())
    assert s["hostname"] == "old"


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))


def case_a_nested_or_huge_file_is_put_aside_unparsed():
    for junk in ('{"hostname": {"a": 1}}', '{"hostname": "x", "l": [1]}', "[" * 3000 + "]" * 3000,
                 '{"x": "' + "y" * 9000 + '"}'):
        s = fresh(junk)
        assert s["hostname"] == "dsmr-api"
        with open(_DIR + "/settings.json.bad") as f:
            assert f.read() == junk
    # brackets and quotes inside strings are not nesting
    s = fresh('{"admin_password": "a{[\\"]}bcd", "hostname": "ok"}')  # (8 or more: a WPA2 key)
    assert s["admin_password"] == 'a{["]}bcd' and s["hostname"] == "ok"
