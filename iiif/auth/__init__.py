"""The IIIF Authorization Flow 2.0 (probe, access, token and logout services) and the Authorization
1.0 services beside it, at ``/iiif/auth``: ``auth_routes`` is the route provider."""
