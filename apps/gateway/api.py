"""Public interface of this app. Other apps import only this module."""
