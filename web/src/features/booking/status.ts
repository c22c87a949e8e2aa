/** Tag colours of booking statuses, the same on every page. */
export const STATUS_COLOURS: Record<string, string> = {
  pending: "gold",
  confirmed: "green",
  checked_in: "blue",
  completed: "default",
  cancelled: "default",
  rejected: "red",
  no_show: "red",
};
