"""The control API of the mock itself, under ``/__mock/``; its descriptor is
:data:`mockserver.control.api.API`."""
