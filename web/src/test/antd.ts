import { fireEvent, screen, within } from "@testing-library/react";
import type { UserEvent } from "@testing-library/user-event";

/** Opens an Ant Design Select by its accessible name and clicks the option with that text. */
export async function chooseOption(user: UserEvent, name: string | RegExp, option: string): Promise<void> {
  await user.click(screen.getByRole("combobox", { name }));
  const dropdowns = document.querySelectorAll<HTMLElement>(
    ".ant-select-dropdown:not(.ant-select-dropdown-hidden)",
  );
  const dropdown = dropdowns[dropdowns.length - 1];
  if (!dropdown) throw new Error(`no open dropdown for ${String(name)}`);
  await user.click(within(dropdown).getByTitle(option));
}

/**
 * Types a whole value into an Ant Design date picker in its format ("2026-01-05 10:00" or
 * "2026-01-05") and confirms it with Enter, as a paste would; then leaves the field.
 */
export async function pick(user: UserEvent, input: HTMLElement, text: string): Promise<void> {
  await user.click(input);
  fireEvent.change(input, { target: { value: text } });
  fireEvent.keyDown(input, { key: "Enter", code: "Enter" });
  await user.click(document.body);
}
