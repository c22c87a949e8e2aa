/**
 * The unified social credit code (统一社会信用代码, GB 32100-2015), checked as the server does
 * (server/registration/credit_code.py): 18 characters of 0-9 and the capitals without I, O, Z,
 * S, V; characters 3-8 are the administrative division (digits); the last is the check character
 * 31 - (Σ value × 3^i mod 31) mod 31, with 31 written as 0.
 */
export const CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
export const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function normaliseCreditCode(code: string): string {
  return code.trim().toUpperCase();
}

/** The check character of the first 17 characters, or null when they are not 17 valid ones. */
export function creditCodeCheckCharacter(first17: string): string | null {
  if (first17.length !== 17) return null;
  let total = 0;
  for (let i = 0; i < 17; i += 1) {
    const value = CREDIT_CODE_ALPHABET.indexOf(first17[i]!);
    if (value < 0) return null;
    total += value * CREDIT_CODE_WEIGHTS[i]!;
  }
  return CREDIT_CODE_ALPHABET[(31 - (total % 31)) % 31]!;
}

export function isValidCreditCode(input: string): boolean {
  const code = normaliseCreditCode(input);
  if (code.length !== 18 || !/^\d{6}$/.test(code.slice(2, 8))) return false;
  return creditCodeCheckCharacter(code.slice(0, 17)) === code[17];
}
