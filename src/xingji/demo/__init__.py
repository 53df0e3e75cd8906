"""The demo installation (``xingji demo``): a realistic 市直机关 with a year of records.

Not a Django app: plain functions that write through the services. The
``demo`` management command lives in ``xingji.ops``.
"""
