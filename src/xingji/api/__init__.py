"""The integration API (数据接口): JSON at ``/api/v1/`` for the provinces' and cities' own systems.

Built with django-ninja; the OpenAPI document is generated from the code. A
client (``ApiClient``) is created by the committee office or an administrator
for one node of the tree, with scopes; it acts through a service account of
its own, so that every read is scoped by ``xingji.accounts.access`` exactly as
the web is, and every write goes through the domain's services and their audit
entries.
"""
