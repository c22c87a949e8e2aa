"""Credit records (诚信档案): dated facts about each institution and the credit class computed
from configurable rules over them. docs/trust.md states the rules."""
