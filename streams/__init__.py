"""The streams service: joins call events, tool results and enterprise events per call, and
renders the injections."""
