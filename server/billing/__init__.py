"""Cost-recovery fees, charges, innovation vouchers and monthly statements.

Arithmetic in ``server.billing.fees`` and ``server.billing.vouchers`` (pure, exact Decimal);
database work in ``server.billing.service``; exports in ``server.billing.statements``.
"""

__all__: list[str] = []
