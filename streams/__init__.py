"""The streams service: faust tables and agents that join call events and render injections."""
