"""Graph access: the client factory (`client.py`)."""

from connector.graph.client import GraphClient, build_client, endpoint_for

__all__ = ["GraphClient", "build_client", "endpoint_for"]
