"""Helpers that tests share: processes they start (`processes`) and a TCP proxy that can
refuse, stall or cut connections to Redis or PostgreSQL (`tcpproxy`)."""
