"""What a new rate card does: every open quote and every workspace's last full month on the new card."""
