"""dsmr-api firmware: reads a smart meter's P1 port and serves it as a REST API.

Where things are:
  app.py          wiring: settings, P1 reader, HTTP server, tasks
  p1_reader.py    the asyncio task that feeds P1 bytes to lib/dsmr's parser
  p1_sources.py   where P1 bytes come from: UART, serial device, TCP, simulator
  simulator.py    a simulated DSMR 5 meter (telegram generator)
  http_server.py  the tiny asyncio socket HTTP server (limits, timeouts, errors)
  api_sm.py       the /api/v1/sm/* and /api/v0/sm/* endpoints (JSON rendering)
  routes.py       the route table: path -> handler
  settings.py     settings with defaults, host overrides by DSMR_<NAME>
  log.py          log lines
  platform/       the hardware layer: esp32.py on the dongle, unix.py on a PC
"""
