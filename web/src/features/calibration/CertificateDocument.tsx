import { App, Button, Modal, Space, Upload } from "antd";
import { useEffect, useState } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { saveBlob } from "../../lib/saveBlob";
import { type Certificate, useAttachCertificateDocument, useAttachmentBlob } from "./api";
import { useText } from "./text";

/** A certificate's PDF: preview it in the page, download it, or upload (replace) it. */
export function CertificateDocument({
  instrumentId,
  certificate,
}: {
  instrumentId: string;
  certificate: Certificate;
}) {
  const t = useText();
  const { message } = App.useApp();
  const attach = useAttachCertificateDocument(instrumentId);
  const fetchBlob = useAttachmentBlob();
  const [preview, setPreview] = useState<{ url: string; filename: string } | null>(null);
  const documentId = certificate.document_attachment_id ?? null;

  // The blob URL lives as long as the preview is open.
  useEffect(() => {
    if (!preview) return undefined;
    return () => URL.revokeObjectURL(preview.url);
  }, [preview]);

  const open = () => {
    if (!documentId) return;
    fetchBlob.mutate(documentId, {
      onSuccess: ({ blob, filename }) =>
        setPreview({ url: URL.createObjectURL(blob), filename: filename ?? `${certificate.number}.pdf` }),
    });
  };
  const download = () => {
    if (!documentId) return;
    fetchBlob.mutate(documentId, {
      onSuccess: ({ blob, filename }) => saveBlob(blob, filename ?? `${certificate.number}.pdf`),
    });
  };

  return (
    <Space orientation="vertical" size={4} data-testid={`certificate-document-${certificate.number}`}>
      <Space wrap size="small">
        {documentId ? (
          <>
            <Button size="small" type="link" onClick={open} loading={fetchBlob.isPending}>
              {t("document.preview")}
            </Button>
            <Button size="small" type="link" onClick={download}>
              {t("document.download")}
            </Button>
          </>
        ) : (
          <span className="muted">{t("document.none")}</span>
        )}
        <Upload
          accept=".pdf,application/pdf"
          showUploadList={false}
          beforeUpload={(file) => {
            attach.mutate(
              { certificateId: certificate.id, file },
              { onSuccess: () => void message.success(t("document.uploaded")) },
            );
            return false; // sent by the mutation, not by Upload's own request
          }}
        >
          <Button size="small" loading={attach.isPending}>
            {documentId ? t("document.replace") : t("document.upload")}
          </Button>
        </Upload>
      </Space>
      {!!(attach.error ?? fetchBlob.error) && <ErrorNotice error={attach.error ?? fetchBlob.error} />}
      <Modal
        open={preview !== null}
        title={t("document.title", { number: certificate.number })}
        onCancel={() => setPreview(null)}
        width={900}
        footer={[
          <Button key="download" onClick={download}>
            {t("document.download")}
          </Button>,
          <Button key="close" type="primary" onClick={() => setPreview(null)}>
            {t("document.close")}
          </Button>,
        ]}
      >
        {preview && (
          <iframe
            src={preview.url}
            title={t("document.title", { number: certificate.number })}
            data-testid="certificate-preview"
            style={{ width: "100%", height: "70vh", border: 0 }}
          />
        )}
      </Modal>
    </Space>
  );
}
