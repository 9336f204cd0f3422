"""dsmr-api firmware: reads a smart meter's P1 port and serves it on the network.

Where things are:
  app.py           the running firmware: main() and the App holding its parts
  start.py         boot: settings, then every part built and started, in memory's order
  buffers.py       the big buffers, allocated once
  p1_reader.py     the asyncio task that feeds P1 bytes to lib/dsmr's parser
  p1_sources.py    where P1 bytes come from: UART, serial device, TCP, simulator
  simulator.py     a simulated DSMR 5 meter (telegram generator)
  http_server.py   the tiny asyncio socket HTTP server (limits, timeouts)
  http_request.py  request parsing
  http_response.py routing, headers, JSON errors
  routes.py        the route table: path -> handler
  api_sm.py        /api/v1/sm/* and /api/v0/sm/actual (JSON from the telegram)
  api_dev.py       /api/v1/dev/info and /time
  api_settings.py  /api/v1/dev/settings
  api_setup.py     the Wi-Fi setup page
  api_restart.py   POST /api/v1/dev/restart (and out of safe mode)
  api_write.py     what the write endpoints share: admin password, errors, saving
  api_hist.py      /api/v1/hist/*
  history.py       hours, days and months: the current periods (RAM)
  history_file.py  their records on flash, read and written
  samples.py       the last hour of power in RAM
  static.py        the web page from www/
  raw_stream.py    the raw telegram stream (TCP) for Home Assistant / DSMR-reader
  mqtt.py          MQTT publisher (mqtt_url.py: the broker address; mqtt_hello.py: connect, discovery)
  wifi.py          station, setup access point, hostname for mDNS
  ntp.py           the clock from NTP
  watchdog.py      the hardware watchdog's health task
  settings.py      the settings file and DSMR_<NAME> overrides (settings_table.py: the table,
                   settings_check.py: values and the heap budget; settings_file.py: a
                   file that cannot be read, found at boot: put aside)
  lazy.py          code loaded when needed and dropped after
  log.py           log lines
  uptime.py        seconds since boot that never wrap (ticks_ms does after 12 days)
  platform/        the hardware layer: esp32.py on the dongle, unix.py on a PC
"""
