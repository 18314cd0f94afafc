// The SDP every scenario offers or answers with: PCMU and RFC 4733 telephone events.

const SDP = `
v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv`;

/** Our SDP, advertising `mediaPort` (a test's RtpPeer) instead of sipp's own media port when given. */
export function sdp(mediaPort?: number): string {
  return mediaPort ? SDP.replace('m=audio [media_port]', `m=audio ${Number(mediaPort)}`) : SDP;
}
