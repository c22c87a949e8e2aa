export { StatementsPage, type Statement, type StatementLine, type StatementParty } from "./StatementsPage";
