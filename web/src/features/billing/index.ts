export { StatementsPage, type Statement, type StatementLine } from "./StatementsPage";
