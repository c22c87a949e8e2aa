import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { FakeServer, json } from "../../test/fakeServer";
import { renderWithApp } from "../../test/render";
import type { Certificate } from "./api";
import { CertificateDocument } from "./CertificateDocument";

const certificate: Certificate = {
  id: "c0ffee00-0000-4000-8000-000000000001",
  number: "ZJIM-2026-0042",
  agency: "浙江省计量科学研究院",
  granted_on: "2026-03-01",
  valid_from: "2026-03-01",
  valid_to: "2027-02-28",
  result: "pass",
  expanded_uncertainty: 0.3,
  coverage_factor: 2,
  document_attachment_id: null,
};
const UPLOAD = `/api/v1/calibration/certificates/${certificate.id}/document`;

function pdf() {
  return new File(["%PDF-1.7\n"], "证书.pdf", { type: "application/pdf" });
}

describe("a certificate's PDF", () => {
  it("uploads the chosen file to the certificate and confirms it", async () => {
    const user = userEvent.setup();
    const fake = new FakeServer().on(`POST ${UPLOAD}`, {
      ...certificate,
      document_attachment_id: "a77ac4ed-0000-4000-8000-000000000002",
    });
    renderWithApp(<CertificateDocument instrumentId="i-1" certificate={certificate} />, {
      server: fake,
      token: "t",
    });
    expect(screen.getByText("未上传")).toBeInTheDocument();
    const input = document.querySelector<HTMLInputElement>("input[type=file]")!;
    await user.upload(input, pdf());
    expect(await screen.findByText("证书文件已上传")).toBeInTheDocument();
    expect(fake.requestsTo(UPLOAD)).toHaveLength(1);
  });

  it("says in Chinese why a file that is not a PDF was refused", async () => {
    const user = userEvent.setup({ applyAccept: false });
    const fake = new FakeServer().on(
      `POST ${UPLOAD}`,
      json(
        {
          type: "about:blank",
          title: "Unprocessable Content",
          status: 422,
          code: "certificate_not_pdf",
          detail: "the file is not a PDF",
        },
        422,
      ),
    );
    renderWithApp(<CertificateDocument instrumentId="i-1" certificate={certificate} />, {
      server: fake,
      token: "t",
    });
    const input = document.querySelector<HTMLInputElement>("input[type=file]")!;
    await user.upload(input, new File(["PK"], "scan.docx"));
    expect(await screen.findByText("证书文件须为 PDF")).toBeInTheDocument();
    expect(screen.queryByText("证书文件已上传")).not.toBeInTheDocument();
  });

  it("previews an uploaded certificate in the page", async () => {
    const user = userEvent.setup();
    URL.createObjectURL ??= () => "blob:certificate";
    URL.revokeObjectURL ??= () => undefined;
    const attachment = "a77ac4ed-0000-4000-8000-000000000002";
    const fake = new FakeServer().on(
      `GET /api/v1/attachments/${attachment}/content`,
      new Response("%PDF-1.7\n", {
        headers: {
          "Content-Type": "application/pdf",
          "Content-Disposition": 'attachment; filename="ZJIM-2026-0042.pdf"',
        },
      }),
    );
    renderWithApp(
      <CertificateDocument
        instrumentId="i-1"
        certificate={{ ...certificate, document_attachment_id: attachment }}
      />,
      { server: fake, token: "t" },
    );
    await user.click(screen.getByRole("button", { name: /预\s?览/ }));
    await waitFor(() => expect(screen.getByTestId("certificate-preview")).toBeInTheDocument());
    expect(screen.getByText("校准证书 ZJIM-2026-0042")).toBeInTheDocument();
  });
});
