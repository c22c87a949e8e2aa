import { describe, expect, it } from "vitest";
import { CREDIT_CODE_WEIGHTS, creditCodeCheckCharacter, isValidCreditCode } from "./creditCode";

describe("unified social credit code", () => {
  it("uses the standard's weights 3^i mod 31", () => {
    expect(CREDIT_CODE_WEIGHTS).toEqual(Array.from({ length: 17 }, (_, i) => 3 ** i % 31));
  });

  it("accepts codes whose check character follows GB 32100-2015", () => {
    // The sample printed with the standard, and two Hangzhou codes checked by the server's rule.
    expect(isValidCreditCode("91350100M000100Y43")).toBe(true);
    expect(isValidCreditCode("91330106MA2H0B3R1Q")).toBe(true);
    expect(isValidCreditCode("91330100ma27xk4l00")).toBe(true); // typed in lower case
    expect(creditCodeCheckCharacter("91330106MA2H0B3R1")).toBe("Q");
  });

  it("refuses a wrong check character, a wrong length or a letter outside the alphabet", () => {
    expect(isValidCreditCode("91330106MA2H0B3R1P")).toBe(false);
    expect(isValidCreditCode("91330106MA2H0B3R1")).toBe(false);
    expect(isValidCreditCode("91330106MA2H0B3RIQ")).toBe(false);
    expect(isValidCreditCode("913301A6MA2H0B3R1Q")).toBe(false);
    expect(isValidCreditCode("")).toBe(false);
  });
});
