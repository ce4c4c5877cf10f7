"""Services: orchestration over the ports. One service per function; no SDK imports."""
