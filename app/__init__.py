"""What composes and delivers Muniment: the one Starlette application, the public pages, the admin
API and the ``muniment`` command line. It may import every other package; none imports it."""
