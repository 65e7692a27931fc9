"""Line items and invoices, validated when they are created."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


class InvoiceError(ValueError):
    """An invoice or line item with invalid values; the message says which."""


@dataclass(frozen=True)
class LineItem:
    """One billed line: what was sold, how many, and the price of one unit (before VAT)."""

    description: str
    quantity: int
    unit_price: Decimal

    def __post_init__(self) -> None:
        if not self.description.strip():
            raise InvoiceError("line item description is empty")
        if self.quantity < 1:
            raise InvoiceError(f"quantity must be at least 1, got {self.quantity}")
        if self.unit_price < 0:
            raise InvoiceError(f"unit price must not be negative, got {self.unit_price}")

    @property
    def amount(self) -> Decimal:
        """Quantity times unit price, unrounded."""
        return self.unit_price * self.quantity


@dataclass
class Invoice:
    """An invoice: its number, the customer, the line items and the rates applied to them."""

    number: str
    customer: str
    items: list[LineItem] = field(default_factory=list)
    vat_rate: Decimal = Decimal("0.20")
    discount_rate: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        if not Decimal("0") <= self.vat_rate < Decimal("1"):
            raise InvoiceError(f"VAT rate must be between 0 and 1, got {self.vat_rate}")
        if not Decimal("0") <= self.discount_rate <= Decimal("1"):
            raise InvoiceError(f"discount rate must be between 0 and 1, got {self.discount_rate}")
