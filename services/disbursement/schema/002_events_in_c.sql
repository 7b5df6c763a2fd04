-- Payment events are encoded in C (events.c) and appended through the bus
-- (sn_bus_append_batch), never written into the outbox by SQL: the
-- protocol-buffer encoder of 001_init.sql goes (issue 8).
DROP FUNCTION IF EXISTS pb_scheduled(payment, text);
DROP FUNCTION IF EXISTS pb_settled(payment, text);
DROP FUNCTION IF EXISTS pb_failed(payment, text);
DROP FUNCTION IF EXISTS pb_ref(payment, text);
DROP FUNCTION IF EXISTS pb_fund(text);
DROP FUNCTION IF EXISTS pb_msg(integer, bytea);
DROP FUNCTION IF EXISTS pb_int(integer, bigint);
DROP FUNCTION IF EXISTS pb_str(integer, text);
DROP FUNCTION IF EXISTS pb_varint(bigint);
