"""The HTTP surface shared by ``submit`` and ``status``: auth, query parsing, JSON views, errors.

Framework-free: handlers pass in headers and query args and get back ``(body, status, headers)``.
"""
