"""The field table as text, one field per line: name, OBIS code, kind (T/N/L/D).

Read once by fields.py, which packs it and then drops this module, so the
text does not stay in RAM. See fields.py for what the kinds mean.
"""

TABLE = """\
identification - T
p1_version 1-3:0.2.8 T
p1_version_be 0-0:96.1.4 T
timestamp 0-0:1.0.0 T
equipment_id 0-0:96.1.1 T
energy_delivered_tariff1 1-0:1.8.1 N
energy_delivered_tariff2 1-0:1.8.2 N
energy_returned_tariff1 1-0:2.8.1 N
energy_returned_tariff2 1-0:2.8.2 N
electricity_tariff 0-0:96.14.0 T
power_delivered 1-0:1.7.0 N
power_returned 1-0:2.7.0 N
electricity_threshold 0-0:17.0.0 N
electricity_switch_position 0-0:96.3.10 N
electricity_failures 0-0:96.7.21 N
electricity_long_failures 0-0:96.7.9 N
electricity_failure_log 1-0:99.97.0 L
electricity_sags_l1 1-0:32.32.0 N
electricity_sags_l2 1-0:52.32.0 N
electricity_sags_l3 1-0:72.32.0 N
electricity_swells_l1 1-0:32.36.0 N
electricity_swells_l2 1-0:52.36.0 N
electricity_swells_l3 1-0:72.36.0 N
message_short 0-0:96.13.1 T
message_long 0-0:96.13.0 T
voltage_l1 1-0:32.7.0 N
voltage_l2 1-0:52.7.0 N
voltage_l3 1-0:72.7.0 N
current_l1 1-0:31.7.0 N
current_l2 1-0:51.7.0 N
current_l3 1-0:71.7.0 N
power_delivered_l1 1-0:21.7.0 N
power_delivered_l2 1-0:41.7.0 N
power_delivered_l3 1-0:61.7.0 N
power_returned_l1 1-0:22.7.0 N
power_returned_l2 1-0:42.7.0 N
power_returned_l3 1-0:62.7.0 N
mbusN_device_type 0-N:24.1.0 N
mbusN_equipment_id_tc 0-N:96.1.0 T
mbusN_equipment_id_ntc 0-N:96.1.1 T
mbusN_valve_position 0-N:24.4.0 N
mbusN_delivered 0-N:24.2.1 N
mbusN_delivered_ntc 0-N:24.2.3 N
mbusN_delivered_dbl 0-N:24.3.0 D
active_energy_import_current_average_demand 1-0:1.4.0 N
active_energy_import_maximum_demand_running_month 1-0:1.6.0 N
active_energy_import_maximum_demand_last_13_months 0-0:98.1.0 L
"""
