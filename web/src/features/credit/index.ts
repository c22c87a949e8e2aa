export { CreditPage } from "./CreditPage";
export { creditText } from "./text";
