import { Grid } from "antd";

/**
 * Where a bookings table puts its action buttons. On a wide screen the column keeps a fixed
 * width and stays pinned to the right edge while the rest of the row scrolls, so cancel and
 * approve never slide out of sight; its buttons wrap inside it. On a phone the whole row
 * scrolls as one, since a pinned column would take half the screen.
 */
export function useActionsColumn(): { fixed?: "right"; width?: number } {
  const screens = Grid.useBreakpoint();
  return screens.lg ? { fixed: "right", width: 190 } : {};
}
