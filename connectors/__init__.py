"""Example connectors for minigest: CSV catalogs and data files, protobuf messages, and outputs.

Each connector yields OpenMetadata-shaped entities (``connectors.models``) by walking
the service -> database -> schema -> table topology of ``connectors.base``.
"""
