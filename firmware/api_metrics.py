"""GET /metrics: the meter and the dongle for Prometheus (text exposition format 0.0.4).

Energy is in kWh, as the meter counts it (`dsmr_energy_delivered_kwh_total`,
a counter per tariff), not joules: the value is the meter's own digits, never
multiplied (a float32 would round it). Power in kW, voltage in V, current in
A, per phase as gauges with a `phase` label; gas in m3 (a counter); the
quarter-hour demand figures when there are any (peaks.py); the dongle's
uptime, heap, telegram, error, HTTP and MQTT counters. Every family has its
HELP and TYPE; a field the meter does not send has no sample.

Rendered straight from the telegram buffer into the response buffer like the
JSON endpoints: nothing is allocated while rendering (tests/cases_metrics.py).
Loaded per request (lazy.py).
"""

import gc
from array import array

from dsmr import fields

from . import uptime

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)
_P_PEAK = const(9)  # in peaks.py's v: this month's peak, the running quarter's average and projection
_P_AVG = const(14)
_P_PROJ = const(15)

_F = fields.index
_IN = (_F("energy_delivered_tariff1"), _F("energy_delivered_tariff2"))
_OUT = (_F("energy_returned_tariff1"), _F("energy_returned_tariff2"))
_P_IN = _F("power_delivered")
_P_OUT = _F("power_returned")
_V = (_F("voltage_l1"), _F("voltage_l2"), _F("voltage_l3"))
_A = (_F("current_l1"), _F("current_l2"), _F("current_l3"))
_PH_IN = (_F("power_delivered_l1"), _F("power_delivered_l2"), _F("power_delivered_l3"))
_PH_OUT = (_F("power_returned_l1"), _F("power_returned_l2"), _F("power_returned_l3"))
_DEMAND = _F("active_energy_import_current_average_demand")
_PEAK = _F("active_energy_import_maximum_demand_running_month")
_CTYPE = b"text/plain; version=0.0.4; charset=utf-8"
_NONE = (-1,) * 17  # no quarter-hour figures (safe mode)


def _plain(buf, s, e):
    """True when buf[s:e] is a plain decimal (digits, at most one '.')."""
    if s >= e:
        return False
    dot = 0
    for i in range(s, e):
        c = buf[i]
        if c == 0x2E:
            dot += 1
        elif c < 0x30 or c > 0x39:
            return False
    return dot < 2 and buf[s] != 0x2E and buf[e - 1] != 0x2E


class MetricsApi:
    def __init__(self, app):
        self.app = app  # (the object lives for one request: lazy.py)
        # What changes by itself, taken once per request: an answer bigger than the
        # response buffer is rendered twice (counted, then sent) and both must agree.
        self.now = array("i", bytes(16))
        self.taken = False

    def _head(self, w, name, kind, text):
        w.raw("# HELP ")
        w.raw(name)
        w.raw(" ")
        w.raw(text)
        w.raw("\n# TYPE ")
        w.raw(name)
        w.raw(" ")
        w.raw(kind)
        w.raw("\n")

    def _field(self, w, name, label, n, f):
        """`name{label="n"} value` from field f's digits, when the meter sent a plain number."""
        p = self.app.reader.parser
        k = f * _SLOTS
        s = p.idx[k]
        e = p.idx[k + 1]
        if not s or not _plain(p.buf, s, e):
            return
        w.raw(name)
        if label:
            w.raw("{")
            w.raw(label)
            w.raw('="')
            w.integer(n)
            w.raw('"}')
        w.raw(" ")
        w.number(p.buf, s, e)
        w.raw("\n")

    def _fields(self, w, name, kind, text, label, fs):
        """A family with one sample per field of fs (a tuple, labelled 1, 2, 3; or one
        field, unlabelled). None when the meter sends none of them."""
        p = self.app.reader.parser
        if not label:
            if p.idx[fs * _SLOTS]:
                self._head(w, name, kind, text)
                self._field(w, name, label, 0, fs)
            return
        for i in range(len(fs)):
            if p.idx[fs[i] * _SLOTS]:
                break
        else:
            return
        self._head(w, name, kind, text)
        for i in range(len(fs)):
            self._field(w, name, label, i + 1, fs[i])

    def _demand(self, w, name, text, f, watts):
        """Field f when the meter sends it, else `watts` (W; none while negative)."""
        if f >= 0 and self.app.reader.parser.idx[f * _SLOTS]:
            self._fields(w, name, "gauge", text, "", f)
        elif watts >= 0:
            self._head(w, name, "gauge", text)
            w.raw(name)
            w.raw(" ")
            w.milli(watts)
            w.raw("\n")

    def _int(self, w, name, kind, text, v):
        self._head(w, name, kind, text)
        w.raw(name)
        w.raw(" ")
        w.integer(v)
        w.raw("\n")

    def metrics(self, req, w):
        req.ctype = _CTYPE
        app = self.app
        r = app.reader
        p = r.parser
        if p.telegrams:
            self._fields(w, "dsmr_energy_delivered_kwh_total", "counter",
                         "Electricity imported from the grid (kWh), per tariff.", "tariff", _IN)
            self._fields(w, "dsmr_energy_returned_kwh_total", "counter",
                         "Electricity exported to the grid (kWh), per tariff.", "tariff", _OUT)
            self._fields(w, "dsmr_power_delivered_kw", "gauge", "Power imported now (kW).", "", _P_IN)
            self._fields(w, "dsmr_power_returned_kw", "gauge", "Power exported now (kW).", "", _P_OUT)
            self._fields(w, "dsmr_phase_power_delivered_kw", "gauge", "Power imported per phase (kW).", "phase", _PH_IN)
            self._fields(w, "dsmr_phase_power_returned_kw", "gauge", "Power exported per phase (kW).", "phase", _PH_OUT)
            self._fields(w, "dsmr_voltage_volts", "gauge", "Voltage per phase (V).", "phase", _V)
            self._fields(w, "dsmr_current_amperes", "gauge", "Current per phase (A).", "phase", _A)
            g = p.gas_field()
            if g >= 0:
                self._fields(w, "dsmr_gas_delivered_m3_total", "counter", "Gas delivered (m3).", "", g)
            # the quarter-hour demand: the meter's own figures (Belgium), else peaks.py's
            pk = app.peaks
            v = pk.v if pk is not None else _NONE
            self._demand(w, "dsmr_demand_average_kw", "The running quarter-hour's average import demand (kW).",
                         _DEMAND, v[_P_AVG])  # (peaks.py is not imported for its names)
            self._demand(w, "dsmr_demand_projection_kw",
                         "The running quarter-hour's demand projected to its end at the power now (kW).", -1, v[_P_PROJ])
            self._demand(w, "dsmr_demand_month_peak_kw", "This month's highest quarter-hour import demand (kW).",
                         _PEAK, v[_P_PEAK])
        now = self.now
        if not self.taken:
            self.taken = True
            now[0] = uptime.seconds()
            now[1] = gc.mem_free()
            now[2] = gc.mem_alloc()
            now[3] = r.seconds_since_telegram()
        self._int(w, "dsmr_uptime_seconds", "gauge", "Seconds since the dongle started.", now[0])
        self._int(w, "dsmr_heap_free_bytes", "gauge", "Free heap (bytes).", now[1])
        self._int(w, "dsmr_heap_used_bytes", "gauge", "Used heap (bytes).", now[2])
        self._int(w, "dsmr_telegrams_total", "counter", "CRC-valid telegrams received.", p.telegrams)
        self._int(w, "dsmr_crc_errors_total", "counter", "Telegrams that failed their CRC.", p.crc_errors)
        self._int(w, "dsmr_framing_errors_total", "counter", "Telegrams cut short or malformed.", p.framing_errors)
        self._int(w, "dsmr_last_telegram_age_seconds", "gauge",
                  "Seconds since the last good telegram (-1: none yet).", now[3])
        h = app.http
        if h is not None:
            self._int(w, "dsmr_http_requests_total", "counter", "HTTP requests answered.", h.responder.requests)
            self._int(w, "dsmr_http_errors_total", "counter", "HTTP answers with status 400 or more.",
                      h.responder.errors)
        m = app.mqtt
        self._int(w, "dsmr_mqtt_connected", "gauge", "1 while connected to the MQTT broker.",
                  1 if m is not None and m.connected else 0)
        self._int(w, "dsmr_mqtt_published_total", "counter", "MQTT messages published.",
                  m.published if m is not None else 0)
        return 200
