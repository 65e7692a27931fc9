"""Money formatting and the plain-text invoice used in emails."""

from __future__ import annotations

from decimal import Decimal

from invoices.models import Invoice
from invoices.totals import discount_amount, subtotal, to_cents, total, vat_amount

WIDTH = 48


def format_money(amount: Decimal, currency: str = "EUR") -> str:
    """``amount`` with thousands separators and two decimals: ``EUR 1,234.50``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency} {abs(to_cents(amount)):,.2f}"


def _row(label: str, value: str) -> str:
    return f"{label:<{WIDTH - len(value) - 1}} {value}"


def render_text(invoice: Invoice, currency: str = "EUR") -> str:
    """The invoice as fixed-width text: one row per item, then the totals."""
    lines = [f"Invoice {invoice.number}", f"Customer: {invoice.customer}", "-" * WIDTH]
    for item in invoice.items:
        label = f"{item.quantity} x {item.description}"
        lines.append(_row(label, format_money(item.amount, currency)))
    lines.append("-" * WIDTH)
    lines.append(_row("Subtotal", format_money(subtotal(invoice), currency)))
    if invoice.discount_rate:
        lines.append(_row("Discount", format_money(-discount_amount(invoice), currency)))
    lines.append(_row(f"VAT {invoice.vat_rate:.0%}", format_money(vat_amount(invoice), currency)))
    lines.append(_row("Total", format_money(total(invoice), currency)))
    return "\n".join(lines) + "\n"
